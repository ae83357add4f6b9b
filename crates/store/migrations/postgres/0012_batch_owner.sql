-- Who runs a change batch while it is `running`: `host:pid:nonce:key`
-- (the process, a random part so a reused process id never passes for
-- its predecessor, and the key of the lock an import's transaction holds
-- on PostgreSQL). A batch left `running` by an owner that is gone died
-- uncommitted (an import marks its batch `committed` or `rejected` inside
-- its own transaction) and is marked `interrupted` at the next start.
-- Batches from before this version have no owner and are left as they
-- are: nothing tells whether their data committed.
ALTER TABLE change_batches ADD COLUMN owner TEXT;
