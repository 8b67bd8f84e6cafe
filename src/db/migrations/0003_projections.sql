-- Projection engine: one checkpoint row per projection generation, and dead letters.

-- A generation is one build of a projection's tables (`<table>_g<generation>`). The live
-- generation serves reads through views; a building generation replays history beside it.
CREATE TABLE projection_checkpoints (
  projection text NOT NULL,
  generation integer NOT NULL,
  code_version integer NOT NULL,
  state text NOT NULL CHECK (state IN ('building', 'live', 'retired')),
  position text NOT NULL,
  events_applied bigint NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, generation)
);

CREATE UNIQUE INDEX projection_checkpoints_one_live
  ON projection_checkpoints (projection) WHERE state = 'live';
CREATE UNIQUE INDEX projection_checkpoints_one_building
  ON projection_checkpoints (projection) WHERE state = 'building';

-- Events a projection failed to apply after its retry budget; the checkpoint moved past them.
CREATE TABLE projection_dead_letters (
  projection text NOT NULL,
  generation integer NOT NULL,
  event_id uuid NOT NULL,
  stream_id text NOT NULL,
  stream_version bigint NOT NULL,
  event_type text NOT NULL,
  position text NOT NULL,
  attempts integer NOT NULL,
  error text NOT NULL,
  failed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection, generation, event_id)
);
