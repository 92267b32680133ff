-- A contact's profile picture, as the last message that carried one linked it (Z-API's `photo`,
-- WPPConnect's sender picture). A link on the provider's CDN, shown as it is, never copied.
ALTER TABLE contacts ADD COLUMN avatar_url TEXT;
