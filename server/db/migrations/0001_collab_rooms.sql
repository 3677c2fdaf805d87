CREATE TABLE `collab_rooms` (
	`room_key` text PRIMARY KEY NOT NULL,
	`state` blob NOT NULL,
	`rev` integer NOT NULL,
	`shared_with_json` text DEFAULT '[]' NOT NULL,
	`updated_at` integer NOT NULL
);
