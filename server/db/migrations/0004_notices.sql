CREATE TABLE `notices` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ts` integer NOT NULL,
	`kind` text NOT NULL,
	`peer_node_id` text,
	`peer_node_name` text,
	`text` text NOT NULL,
	`action_json` text,
	`read` integer DEFAULT false NOT NULL,
	`coalesce_key` text,
	`count` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `notices_ts_idx` ON `notices` (`ts`);--> statement-breakpoint
CREATE INDEX `notices_coalesce_key_idx` ON `notices` (`coalesce_key`,`ts`);--> statement-breakpoint
CREATE INDEX `notices_unread_idx` ON `notices` (`read`) WHERE "notices"."read" = 0;