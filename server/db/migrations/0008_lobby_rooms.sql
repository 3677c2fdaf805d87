CREATE TABLE `lobby_rooms` (
	`room_id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`visibility` text NOT NULL,
	`policy` text NOT NULL,
	`token` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `peers` ADD `path_policy` text DEFAULT 'any' NOT NULL;