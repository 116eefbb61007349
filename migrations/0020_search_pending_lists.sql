-- The search index's GIN trees were kept without a pending list
-- (fastupdate = off, 0011 and 0018), so that a search never reads a long
-- list of entries not yet merged (with the default 4 MB list, searches had
-- paid for it: issue 14). Written one entry at a time, those trees took a
-- fifth of an import's time in the database (a document per record, each
-- with tens of entries), and as much of every write's.
--
-- They now take entries in a pending list bounded to 64 kB (8 pages, the
-- least PostgreSQL allows), set on each index so that every session keeps
-- to it: the write that fills the list merges it into the tree in bulk,
-- and a search reads at most those 8 pages besides the tree. (Switching the
-- option inside an import's transaction alone was tried: ALTER INDEX of
-- fastupdate takes ACCESS EXCLUSIVE, which would stop every search and
-- every write for the length of the import; decisions §76.)
--
-- Every statement here may run again.

ALTER INDEX search_documents_exact_names
  SET (fastupdate = on, gin_pending_list_limit = 64);
ALTER INDEX search_documents_names
  SET (fastupdate = on, gin_pending_list_limit = 64);
ALTER INDEX search_documents_words
  SET (fastupdate = on, gin_pending_list_limit = 64);
