DROP TABLE phases;
