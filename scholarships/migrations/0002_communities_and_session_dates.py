from django.db import migrations

COMMUNITIES = [
    # (name, code, coast) — the 14 communities of Nunavik, south to north to east.
    ("Kuujjuaraapik", "kuujjuaraapik", "hudson"),
    ("Umiujaq", "umiujaq", "hudson"),
    ("Inukjuak", "inukjuak", "hudson"),
    ("Puvirnituq", "puvirnituq", "hudson"),
    ("Akulivik", "akulivik", "hudson"),
    ("Ivujivik", "ivujivik", "hudson"),
    ("Salluit", "salluit", "hudson"),
    ("Kangiqsujuaq", "kangiqsujuaq", "ungava"),
    ("Quaqtaq", "quaqtaq", "ungava"),
    ("Kangirsuk", "kangirsuk", "ungava"),
    ("Aupaluk", "aupaluk", "ungava"),
    ("Tasiujaq", "tasiujaq", "ungava"),
    ("Kuujjuaq", "kuujjuaq", "ungava"),
    ("Kangiqsualujjuaq", "kangiqsualujjuaq", "ungava"),
]


def seed_communities(apps, schema_editor):
    Community = apps.get_model("scholarships", "Community")
    for name, code, coast in COMMUNITIES:
        Community.objects.update_or_create(code=code, defaults={"name": name, "coast": coast})


def unseed_communities(apps, schema_editor):
    Community = apps.get_model("scholarships", "Community")
    Community.objects.filter(code__in=[code for _, code, _ in COMMUNITIES]).delete()


# A session's dates lie inside its scholar year: it spans two tables, so a trigger on
# each side keeps it true whoever writes (admin, import, SQL).
SESSION_DATES_SQL = """
CREATE FUNCTION scholarships_session_inside_year() RETURNS trigger AS $$
DECLARE
    year_start date;
    year_end date;
BEGIN
    SELECT start_date, end_date INTO year_start, year_end
      FROM scholarships_scholaryear WHERE id = NEW.scholar_year_id;
    IF NEW.start_date < year_start OR NEW.end_date > year_end THEN
        RAISE EXCEPTION 'session dates % to % lie outside scholar year % to %',
            NEW.start_date, NEW.end_date, year_start, year_end
            USING ERRCODE = 'check_violation', CONSTRAINT = 'session_inside_scholar_year';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER session_inside_scholar_year
    BEFORE INSERT OR UPDATE OF start_date, end_date, scholar_year_id
    ON scholarships_session
    FOR EACH ROW EXECUTE FUNCTION scholarships_session_inside_year();

CREATE FUNCTION scholarships_year_contains_sessions() RETURNS trigger AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM scholarships_session
         WHERE scholar_year_id = NEW.id
           AND (start_date < NEW.start_date OR end_date > NEW.end_date)
    ) THEN
        RAISE EXCEPTION 'scholar year % to % would leave some of its sessions outside it',
            NEW.start_date, NEW.end_date
            USING ERRCODE = 'check_violation', CONSTRAINT = 'session_inside_scholar_year';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER scholar_year_contains_sessions
    BEFORE UPDATE OF start_date, end_date ON scholarships_scholaryear
    FOR EACH ROW EXECUTE FUNCTION scholarships_year_contains_sessions();
"""

DROP_SESSION_DATES_SQL = """
DROP TRIGGER scholar_year_contains_sessions ON scholarships_scholaryear;
DROP FUNCTION scholarships_year_contains_sessions();
DROP TRIGGER session_inside_scholar_year ON scholarships_session;
DROP FUNCTION scholarships_session_inside_year();
"""


class Migration(migrations.Migration):
    dependencies = [("scholarships", "0001_initial")]

    operations = [
        migrations.RunPython(seed_communities, unseed_communities),
        migrations.RunSQL(SESSION_DATES_SQL, DROP_SESSION_DATES_SQL),
    ]
