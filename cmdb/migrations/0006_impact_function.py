"""Impact analysis in one statement on PostgreSQL: `cmdb_impact(root, downstream, depth, keep)`
walks the relationships breadth first inside the database and returns only what the impact
selector shows (how many CIs were reached, the nearest `keep` with their distances, the business
services reached with theirs), instead of sending every level's CIs to Python and back. SQLite
and other databases compute the same answer in Python (cmdb.graph.impact_summary)."""

from django.db import migrations

from servicedesk.migration_ops import postgresql_only

# Each level is one dynamic statement (EXECUTE ... USING): planned with the arrays' values, so
# `= ANY(frontier)` and `<> ALL(visited)` are hashed lookups; a cached generic plan would test
# every element of a 70,000-CI array against every relationship. The CIs already reached are
# never expanded again, so cycles end and each CI keeps its shortest distance.
CREATE = r"""
CREATE OR REPLACE FUNCTION cmdb_impact(root bigint, downstream boolean, max_depth integer,
                                       keep integer)
RETURNS TABLE (total integer, nearest bigint[], nearest_depths integer[], services bigint[],
               service_depths integer[])
LANGUAGE plpgsql STABLE
AS $function$
DECLARE
    step text := CASE WHEN downstream THEN
        'SELECT coalesce(array_agg(reached), ''{}'') FROM (SELECT DISTINCT source_id AS reached '
        'FROM cmdb_relationship WHERE target_id = ANY($1) AND source_id <> ALL($2)) AS level'
    ELSE
        'SELECT coalesce(array_agg(reached), ''{}'') FROM (SELECT DISTINCT target_id AS reached '
        'FROM cmdb_relationship WHERE source_id = ANY($1) AND target_id <> ALL($2)) AS level'
    END;
    flag_services text := 'SELECT coalesce(array_agg(id ORDER BY id), ''{}'') '
        'FROM cmdb_configurationitem WHERE id = ANY($1) AND ci_class_id = ANY($2)';
    business bigint[] := ARRAY(SELECT id FROM cmdb_ciclass WHERE is_business_service);
    visited bigint[] := ARRAY[root];
    frontier bigint[] := ARRAY[root];
    picked bigint[];
    level integer := 0;
BEGIN
    total := 1;
    nearest := CASE WHEN keep > 0 THEN ARRAY[root] ELSE '{}'::bigint[] END;
    nearest_depths := CASE WHEN keep > 0 THEN ARRAY[0] ELSE '{}'::integer[] END;
    services := '{}';
    service_depths := '{}';
    WHILE level < max_depth AND cardinality(frontier) > 0 LOOP
        level := level + 1;
        EXECUTE step INTO frontier USING frontier, visited;
        total := total + cardinality(frontier);
        IF cardinality(nearest) < keep AND cardinality(frontier) > 0 THEN
            picked := ARRAY(SELECT id FROM unnest(frontier) AS id ORDER BY id
                            LIMIT keep - cardinality(nearest));
            nearest := nearest || picked;
            nearest_depths := nearest_depths || array_fill(level, ARRAY[cardinality(picked)]);
        END IF;
        IF cardinality(business) > 0 AND cardinality(frontier) > 0 THEN
            EXECUTE flag_services INTO picked USING frontier, business;
            services := services || picked;
            service_depths := service_depths || array_fill(level, ARRAY[cardinality(picked)]);
        END IF;
        IF level < max_depth THEN
            visited := visited || frontier;
        END IF;
    END LOOP;
    RETURN NEXT;
END
$function$
"""

DROP = "DROP FUNCTION IF EXISTS cmdb_impact(bigint, boolean, integer, integer)"


class Migration(migrations.Migration):
    dependencies = [
        ("cmdb", "0005_relationship_indexes"),
    ]

    operations = [postgresql_only([CREATE], [DROP])]
