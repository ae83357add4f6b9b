-- A village's persons come out of the index in the order the search page
-- lists them (village, household, ID number), and a 户编号 is found
-- without knowing its county.
DROP INDEX persons_village;
CREATE INDEX persons_village ON persons (village_code, household_no, id_number);
DROP INDEX persons_household;
CREATE INDEX persons_household ON persons (household_no, county_code);
-- Persons of one name come out in ID-number order, and the jurisdiction
-- is checked inside the index.
DROP INDEX persons_name;
CREATE INDEX persons_name ON persons ((name COLLATE "C"), id_number, village_code);
