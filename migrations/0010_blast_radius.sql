-- Blast radius (issue 12 section 3): which network interfaces use each
-- security group, kept as history like rules. One row per (interface, group)
-- from the poll that first saw it so to the poll that no longer did; a change
-- of the interface's public address or instance closes the row and opens the
-- next. "What did sg-X expose on Tuesday" is then one indexed query
-- (README, "Blast radius").

CREATE TABLE interface_versions (
  id              INTEGER PRIMARY KEY,
  target_id       INTEGER NOT NULL REFERENCES targets (id),
  group_id        TEXT NOT NULL,
  interface_id    TEXT NOT NULL,
  -- instance, load-balancer, lambda, rds, nat, endpoint or other (src/model/attachment.ts).
  kind            TEXT NOT NULL,
  -- EC2's own InterfaceType, as reported.
  interface_type  TEXT,
  instance_id     TEXT,
  -- The public IPv4 (or routable IPv6) address; NULL: not reachable from the internet directly.
  public_ip       TEXT,
  description     TEXT NOT NULL,
  added_poll_id   INTEGER NOT NULL REFERENCES polls (id),
  added_at        TEXT NOT NULL,
  removed_poll_id INTEGER REFERENCES polls (id),
  removed_at      TEXT
);
CREATE UNIQUE INDEX interface_versions_current ON interface_versions (target_id, group_id, interface_id) WHERE removed_poll_id IS NULL;
CREATE INDEX interface_versions_by_group ON interface_versions (group_id, added_at);

-- Interfaces are read every poll or every Nth (aws.interfacesEvery): which
-- polls did, so the age of what is known can be said.
ALTER TABLE polls ADD COLUMN interfaces_read INTEGER NOT NULL DEFAULT 0 CHECK (interfaces_read IN (0, 1));

-- exposure-added: a group already open to the world that an interface with a
-- public address starts using (src/model/exposure-change.ts). change_events
-- checks its kind; SQLite cannot alter a CHECK, and rebuilding the table would
-- copy a column list frozen here, dropping columns other migrations add, so
-- the stored definition gains the new kind in place (SQLite's documented
-- procedure for loosening a constraint; src/store/migrate.ts runs it and
-- checks the file whole). The DDL after it bumps the schema version, so every
-- open connection re-reads the definition.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, '''rule-description-changed'')', '''rule-description-changed'', ''exposure-added'')')
 WHERE type = 'table' AND name = 'change_events';
PRAGMA writable_schema = RESET;

-- The public interface an exposure-added change is about.
ALTER TABLE change_events ADD COLUMN interface_id TEXT;
ALTER TABLE change_events ADD COLUMN instance_id TEXT;
ALTER TABLE change_events ADD COLUMN public_ip TEXT;
ALTER TABLE change_events ADD COLUMN interface_kind TEXT;

-- current_groups keeps its columns in order and gains, at the end, how many
-- interfaces use each group and how many of them have a public address.
DROP VIEW current_groups;
CREATE VIEW current_groups AS
SELECT t.account, t.region, g.group_id, g.name, g.vpc_id, g.description, g.tags, g.added_at AS since,
       (SELECT count(*) FROM interface_versions i
         WHERE i.target_id = g.target_id AND i.group_id = g.group_id AND i.removed_poll_id IS NULL) AS interfaces,
       (SELECT count(*) FROM interface_versions i
         WHERE i.target_id = g.target_id AND i.group_id = g.group_id AND i.removed_poll_id IS NULL AND i.public_ip IS NOT NULL) AS public_interfaces
FROM group_versions g
JOIN targets t ON t.id = g.target_id
WHERE g.removed_poll_id IS NULL;

-- Every (ingress rule open to the world) × (interface with a public address
-- that uses the rule's group), now: what the internet can reach, and where.
CREATE VIEW current_exposure AS
SELECT t.account,
       t.region,
       r.group_id,
       g.name AS group_name,
       r.protocol,
       CASE WHEN r.from_port IS NULL OR r.to_port IS NULL THEN 'all'
            WHEN r.protocol IN ('icmp', 'icmpv6') THEN 'type ' || r.from_port || '/code ' || r.to_port
            WHEN r.from_port = r.to_port THEN CAST(r.from_port AS TEXT)
            ELSE r.from_port || '-' || r.to_port END AS ports,
       r.source,
       i.interface_id,
       i.kind,
       i.instance_id,
       i.public_ip,
       max(r.added_at, i.added_at) AS since
FROM rule_versions r
JOIN targets t ON t.id = r.target_id
JOIN interface_versions i ON i.target_id = r.target_id AND i.group_id = r.group_id AND i.removed_poll_id IS NULL AND i.public_ip IS NOT NULL
LEFT JOIN group_versions g ON g.target_id = r.target_id AND g.group_id = r.group_id AND g.removed_poll_id IS NULL
WHERE r.removed_poll_id IS NULL
  AND r.direction = 'ingress'
  AND r.source IN ('0.0.0.0/0', '::/0');
