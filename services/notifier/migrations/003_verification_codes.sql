-- One-time codes for online booking (topic phone-verification-requested) are SMS too.
ALTER TABLE messages DROP CONSTRAINT messages_kind_check;
ALTER TABLE messages ADD CONSTRAINT messages_kind_check
    CHECK (kind IN ('issued', 'near_turn', 'called', 'survey', 'verification'));
