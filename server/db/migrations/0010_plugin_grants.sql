CREATE TABLE `plugin_grants` (
	`plugin_id` text PRIMARY KEY NOT NULL,
	`granted` text DEFAULT '[]' NOT NULL,
	`answered` text DEFAULT '[]' NOT NULL,
	`decided_at` integer,
	`enabled` integer DEFAULT true NOT NULL,
	`updated_at` integer NOT NULL
);
