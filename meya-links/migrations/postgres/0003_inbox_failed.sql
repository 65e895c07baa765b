-- Failed entries, for `inbox_failed` to page through without walking every done entry.
CREATE INDEX inbox_failed ON inbox (id) WHERE state = 'failed';
