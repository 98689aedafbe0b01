-- Who called a ticket (the staff member's username, at its latest call): the per-clerk
-- productivity report (services/ticketing/repositories/reports.py, CLERKS_SQL).
ALTER TABLE tickets ADD COLUMN called_by text;
