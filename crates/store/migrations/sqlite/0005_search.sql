-- Search by name (exact or prefix) and by village inside a jurisdiction.
CREATE INDEX persons_name ON persons (name, village_code);
CREATE INDEX persons_village ON persons (village_code, household_no);
