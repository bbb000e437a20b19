CREATE TABLE greetings (language TEXT PRIMARY KEY, greeting TEXT NOT NULL);
INSERT INTO greetings VALUES ('en', 'Hello');
