-- What the business keeps about a contact beside what providers tell: an email, its own
-- attributes (a JSON object), whether it is blocked, and links to the business's own records
-- (an ERP's partner, a CRM's person), each of which names one contact per tenant.
ALTER TABLE contacts ADD COLUMN email TEXT;
ALTER TABLE contacts ADD COLUMN attributes TEXT;
ALTER TABLE contacts ADD COLUMN blocked_at INTEGER;
CREATE INDEX contacts_by_tenant ON contacts(tenant_id, created_at DESC, id DESC);

CREATE TABLE contact_external_refs (
    tenant_id   TEXT NOT NULL,
    system      TEXT NOT NULL,
    type        TEXT NOT NULL,
    ref_id      TEXT NOT NULL,
    contact_id  TEXT NOT NULL REFERENCES contacts(id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, system, type, ref_id)
) WITHOUT ROWID;
CREATE INDEX contact_external_refs_by_contact ON contact_external_refs(contact_id);
