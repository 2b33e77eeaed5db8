"""Address search (issue 4): pg_trgm and the trigram indexes the field-worker lookup reads.

- GiST on compound names and aliases: the search asks for the nearest names by trigram distance
  (`name <-> q ... LIMIT k`), which only GiST can answer from the index; with no threshold, a
  name with one wrong character is still among the nearest.
- GIN on the normalised address text: substring matches of road and door number
  (`normalized LIKE '%丽新街8号%'`), fast at city scale (158,000 addresses).

pg_trgm is created by scripts/pg.sh for the local cluster; TrigramExtension creates it elsewhere
(IF NOT EXISTS: idempotent).
"""

from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("layers", "0004_derived_on_insert")]

    operations = [
        TrigramExtension(),
        migrations.AddIndex(
            model_name="xiaoqu",
            index=GistIndex(fields=["name"], name="xiaoqu_name_trgm", opclasses=["gist_trgm_ops"]),
        ),
        migrations.AddIndex(
            model_name="compoundalias",
            index=GistIndex(
                fields=["alias"], name="compound_alias_trgm", opclasses=["gist_trgm_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="address",
            index=GinIndex(
                fields=["normalized"], name="address_normalized_trgm", opclasses=["gin_trgm_ops"]
            ),
        ),
    ]
