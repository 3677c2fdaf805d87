DROP INDEX `audit_log_ts_idx`;--> statement-breakpoint
ALTER TABLE `audit_log` ADD `count` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `audit_log` ADD `last_ts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `audit_log` ADD `fold_key` text;--> statement-breakpoint
-- A row from before folding is one event, so it ends where it began.
UPDATE `audit_log` SET `last_ts` = `ts`;--> statement-breakpoint
CREATE INDEX `audit_log_last_ts_idx` ON `audit_log` (`last_ts`);--> statement-breakpoint
CREATE INDEX `audit_log_fold_idx` ON `audit_log` (`event`,`node_id`,`fold_key`,`ts`);