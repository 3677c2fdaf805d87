CREATE TABLE `peer_paths` (
	`node_id` text NOT NULL,
	`transport` text NOT NULL,
	`address` text NOT NULL,
	`source` text NOT NULL,
	`learned_at` integer NOT NULL,
	`worked_at` integer,
	PRIMARY KEY(`node_id`, `transport`, `address`),
	FOREIGN KEY (`node_id`) REFERENCES `peers`(`node_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
-- Every pairing keeps the address it had, as a direct path that worked when the peer was last seen.
INSERT INTO `peer_paths` (`node_id`, `transport`, `address`, `source`, `learned_at`, `worked_at`)
SELECT `node_id`, 'direct', `last_address`, 'dialed', coalesce(`last_seen`, `created_at`), `last_seen`
FROM `peers` WHERE `last_address` IS NOT NULL AND `last_address` != '';
--> statement-breakpoint
ALTER TABLE `peers` DROP COLUMN `last_address`;