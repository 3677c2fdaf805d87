CREATE TABLE `agent_requests` (
	`direction` text NOT NULL,
	`peer_id` text NOT NULL,
	`request_id` text NOT NULL,
	`prompt` text NOT NULL,
	`state` text NOT NULL,
	`answer` text DEFAULT '' NOT NULL,
	`error` text,
	`decision` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`direction`, `peer_id`, `request_id`)
);
--> statement-breakpoint
CREATE INDEX `agent_requests_created_idx` ON `agent_requests` (`created_at`);--> statement-breakpoint
ALTER TABLE `peers` ADD `agent_policy` text;