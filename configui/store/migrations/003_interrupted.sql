-- 'interrupted': a change left running by an editor that lost the database
-- or stopped mid-apply, closed by an admin who checked the servers.
ALTER TABLE changes DROP CONSTRAINT changes_status_check;
ALTER TABLE changes ADD CONSTRAINT changes_status_check
    CHECK (status IN ('running', 'applied', 'failed', 'rolled-back', 'rollback-failed', 'conflict', 'interrupted'));
