-- Who checked an appointment in (a keyed hash of the kiosk, or of the address, as with an
-- Idempotency-Key): the same kiosk checking the same code in again (a lost answer) gets the
-- ticket and its holder's key back; anyone else gets 409.
ALTER TABLE appointments ADD COLUMN checked_in_by text;
