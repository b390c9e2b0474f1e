"""A computing sheet is frozen once validated, in the database itself: only its status
(to superseded or cancelled) and the recovery a withdrawal adds may change; its lines
never change again; and its previous revision is the same enrollment's, an earlier one."""

from django.db import migrations

SQL = """
CREATE FUNCTION billing_sheet_frozen() RETURNS trigger AS $$
DECLARE
    earlier RECORD;
BEGIN
    IF NEW.previous_id IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.previous_id IS DISTINCT FROM OLD.previous_id) THEN
        SELECT enrollment_id, revision INTO earlier FROM billing_computingsheet WHERE id = NEW.previous_id;
        IF earlier.enrollment_id <> NEW.enrollment_id OR earlier.revision >= NEW.revision THEN
            RAISE EXCEPTION 'a sheet''s previous revision must be an earlier sheet of the same enrollment'
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status <> 'draft' AND (
        NEW.enrollment_id, NEW.revision, NEW.previous_id, NEW.months, NEW.total,
        NEW.school_total, NEW.student_total, NEW.computed_at, NEW.validated_by_id,
        NEW.validated_at, NEW.created_at
    ) IS DISTINCT FROM (
        OLD.enrollment_id, OLD.revision, OLD.previous_id, OLD.months, OLD.total,
        OLD.school_total, OLD.student_total, OLD.computed_at, OLD.validated_by_id,
        OLD.validated_at, OLD.created_at
    ) THEN
        RAISE EXCEPTION 'computing sheet % is % and cannot change; compute a new revision', OLD.id, OLD.status
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.status <> 'draft' AND NEW.status <> OLD.status
        AND NOT (OLD.status = 'validated' AND NEW.status IN ('superseded', 'cancelled')) THEN
        RAISE EXCEPTION 'computing sheet % cannot go from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER sheet_frozen BEFORE INSERT OR UPDATE ON billing_computingsheet
    FOR EACH ROW EXECUTE FUNCTION billing_sheet_frozen();

CREATE FUNCTION billing_sheet_line_frozen() RETURNS trigger AS $$
DECLARE
    sheet_status text;
BEGIN
    SELECT status INTO sheet_status FROM billing_computingsheet
        WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.sheet_id ELSE NEW.sheet_id END;
    IF sheet_status IS NOT NULL AND sheet_status <> 'draft' THEN
        RAISE EXCEPTION 'the lines of a % computing sheet cannot change', sheet_status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER sheet_line_frozen BEFORE INSERT OR UPDATE OR DELETE ON billing_computingsheetline
    FOR EACH ROW EXECUTE FUNCTION billing_sheet_line_frozen();
"""

REVERSE = """
DROP TRIGGER sheet_line_frozen ON billing_computingsheetline;
DROP FUNCTION billing_sheet_line_frozen();
DROP TRIGGER sheet_frozen ON billing_computingsheet;
DROP FUNCTION billing_sheet_frozen();
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0010_line_proposals")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
