PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_collab_rooms` (
	`owner_id` text DEFAULT '' NOT NULL,
	`room_key` text NOT NULL,
	`access` text DEFAULT 'owner' NOT NULL,
	`title` text DEFAULT '' NOT NULL,
	`state` blob NOT NULL,
	`rev` integer NOT NULL,
	`shared_with_json` text DEFAULT '[]' NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`owner_id`, `room_key`)
);
--> statement-breakpoint
-- Every room from before owners existed is this node's own: owner '' and access 'owner' (the defaults).
INSERT INTO `__new_collab_rooms`("room_key", "state", "rev", "shared_with_json", "updated_at") SELECT "room_key", "state", "rev", "shared_with_json", "updated_at" FROM `collab_rooms`;--> statement-breakpoint
DROP TABLE `collab_rooms`;--> statement-breakpoint
ALTER TABLE `__new_collab_rooms` RENAME TO `collab_rooms`;--> statement-breakpoint
PRAGMA foreign_keys=ON;