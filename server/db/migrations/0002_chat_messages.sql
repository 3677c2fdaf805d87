CREATE TABLE `chat_messages` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`peer_id` text NOT NULL,
	`direction` text NOT NULL,
	`text` text NOT NULL,
	`ts` integer NOT NULL,
	`status` text NOT NULL,
	`client_id` text,
	`read_receipt_sent` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `chat_messages_peer_direction_id_idx` ON `chat_messages` (`peer_id`,`direction`,`id`);--> statement-breakpoint
CREATE INDEX `chat_messages_peer_seq_idx` ON `chat_messages` (`peer_id`,`seq`);