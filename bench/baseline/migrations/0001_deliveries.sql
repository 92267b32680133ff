-- The storage floor's one table: a row per POST.
CREATE TABLE deliveries (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
