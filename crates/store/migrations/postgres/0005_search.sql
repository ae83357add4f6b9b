-- Search by name (exact or prefix, in code-point order) and by village.
CREATE INDEX persons_name ON persons ((name COLLATE "C"), village_code);
CREATE INDEX persons_village ON persons (village_code, household_no);
