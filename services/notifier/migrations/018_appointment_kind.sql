-- A booked appointment's code, slot and check-in window go by SMS too (topic
-- appointment-booked, kind `appointment` of CONTRACT.md).
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('issued', 'near_turn', 'called', 'survey', 'verification', 'appointment',
                    'reply'));
