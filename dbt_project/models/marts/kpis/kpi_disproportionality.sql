{#- KPI 8: Relative Rate Index against White British peers per stage, ethnic group and year (macro relative_rate_index). -#}
{{ relative_rate_index(ref('kpi_values')) }}
