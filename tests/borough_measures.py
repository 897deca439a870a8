"""Yearly magnitudes of a generated borough, read straight from the landed files with DuckDB.

Independent of the pipeline on purpose: it checks the generator against the strategy's
figures (domain-notes), not the warehouse against itself.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

FINANCIAL_YEARS = (2016, 2017, 2018, 2019)  # 2016/17 to 2019/20, the strategy's baseline
SUBSTANTIVE = "('YC','YCC','CD','FINE','RO','YRO','DTO','S250')"


class BoroughMeasures:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.con = duckdb.connect()
        for view, source, extract in (
            ("pupils", "education", "pupils"), ("exclusions", "education", "exclusions"),
            ("cla", "social_care", "ssd_cla_episodes"), ("young_people", "yos", "young_people"),
            ("offences", "yos", "offences"), ("crimes", "police", "crimes"), ("involvements", "police", "involvements"),
        ):
            pattern = str(home / "landing" / source / "*" / f"{extract}_*.csv")
            self.con.execute(f"""
                create view {view} as
                select * exclude (filename), filename as _file from read_csv('{pattern}', all_varchar=true, filename=true, header=true)
            """)
        truth = home / "truth" / "source_records.parquet"
        self.con.execute(f"create view truth as select * from read_parquet('{truth}')")

    def scalar(self, sql: str) -> float:
        return self.con.execute(sql).fetchone()[0]

    def per_financial_year(self, sql_count_for_fy: str) -> dict[int, float]:
        """Run a count whose SQL uses {lo} and {hi} (the FY's first and last dates)."""
        return {y: self.scalar(sql_count_for_fy.format(lo=f"{y}-04-01", hi=f"{y + 1}-03-31")) for y in FINANCIAL_YEARS}

    def pupils_on_census_day(self, day: str) -> int:
        return self.scalar(f"""
            select count(distinct pupil_id) from pupils
            where _file like '%pupils_' || (select min(regexp_extract(_file, 'pupils_(\\d+)', 1)) from pupils) || '.csv'
              and entry_date::date <= '{day}' and (leaving_date = '' or leaving_date is null or leaving_date::date >= '{day}')""")

    def fsm_share_on(self, day: str) -> float:
        return self.scalar(f"""
            with roll as (
                select pupil_id, bool_or(coalesce(fsm_start_date, '') <> '' and fsm_start_date::date <= '{day}'
                       and (coalesce(fsm_end_date, '') = '' or fsm_end_date::date >= '{day}')) as fsm
                from pupils
                where _file like '%pupils_' || (select min(regexp_extract(_file, 'pupils_(\\d+)', 1)) from pupils) || '.csv'
                  and entry_date::date <= '{day}' and (coalesce(leaving_date, '') = '' or leaving_date::date >= '{day}')
                group by pupil_id)
            select avg(fsm::int) from roll""")

    def looked_after_on(self, day: str) -> int:
        return self.scalar(f"""
            with latest as (
                select * from cla qualify row_number() over (partition by clae_cla_episode_id order by _file desc) = 1)
            select count(distinct clae_person_id) from latest
            where clae_cla_episode_start_date::date <= '{day}'
              and (coalesce(clae_cla_episode_ceased_date, '') = '' or clae_cla_episode_ceased_date::date > '{day}')""")

    def first_time_entrants(self) -> dict[int, float]:
        return self.per_financial_year(f"""
            with firsts as (
                select o.yot_id, min(o.outcome_date::date) as first_outcome, any_value(y.dob) as dob
                from offences o join (select distinct yot_id, dob from young_people) y using (yot_id)
                where o.outcome in {SUBSTANTIVE} group by o.yot_id)
            select count(*) from firsts
            where first_outcome between '{{lo}}' and '{{hi}}'
              and date_diff('year', try_cast(dob as date), first_outcome) between 10 and 17""")

    def custodial_sentences(self) -> dict[int, float]:
        return self.per_financial_year("select count(distinct offence_id) from offences where outcome in ('DTO','S250') and outcome_date::date between '{lo}' and '{hi}'")

    def crimes_where(self, condition: str) -> dict[int, float]:
        return self.per_financial_year(f"select count(distinct crime_ref) from crimes where committed_date::date between '{{lo}}' and '{{hi}}' and {condition}")

    def knife_injury_victims_under_25(self) -> dict[int, float]:
        return self.per_financial_year("""
            select count(distinct i.involvement_id) from involvements i join crimes c using (crime_ref)
            where i.role = 'VICTIM' and c.knife_flag = 'Y' and c.injury_flag = 'Y' and c.domestic_abuse_flag = 'N'
              and c.committed_date::date between '{lo}' and '{hi}'
              and date_diff('year', try_cast(i.dob as date), c.committed_date::date) < 25""")

    def yos_cohort_overlaps(self, cohort_from: str, cohort_to: str) -> dict[str, float]:
        """Shares of the YOS cohort (a substantive outcome in the window) with SEN, EHCP, exclusion, care.

        Cross-agency, so linked here through the ground truth; the pipeline will link by itself.
        """
        return dict(zip(("size", "sen", "ehcp", "excluded", "looked_after"), self.con.execute(f"""
            with cohort as (
                select distinct t.person_id from offences o join truth t on t.entity = 'yot_id' and t.record_id = o.yot_id
                where o.outcome in {SUBSTANTIVE} and o.outcome_date::date between '{cohort_from}' and '{cohort_to}'),
            pupil as (select t.person_id, p.* from pupils p join truth t on t.entity = 'pupil_id' and t.record_id = p.pupil_id),
            sen as (select person_id, max(case sen_provision when 'E' then 2 when 'K' then 1 else 0 end) as level from pupil group by person_id),
            excluded as (select distinct t.person_id from exclusions e join truth t on t.entity = 'pupil_id' and t.record_id = e.pupil_id
                         where e.start_date::date <= '{cohort_to}'),
            cared as (select distinct t.person_id from cla c join truth t on t.entity = 'pers_person_id' and t.record_id = c.clae_person_id
                      where c.clae_cla_episode_start_date::date <= '{cohort_to}')
            select count(*), avg((coalesce(s.level, 0) >= 1)::int), avg((coalesce(s.level, 0) = 2)::int),
                   avg((x.person_id is not null)::int), avg((l.person_id is not null)::int)
            from cohort c left join sen s using (person_id) left join excluded x using (person_id) left join cared l using (person_id)
        """).fetchone()))
