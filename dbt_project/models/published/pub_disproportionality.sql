{#- KPI 8 for use outside the partnership: the RRI recomputed from pub_kpis' rounded counts, null where one is hidden. -#}
{{ relative_rate_index(ref('pub_kpis')) }}
