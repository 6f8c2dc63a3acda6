-- The floor: ONE hand-written DuckDB script from the raw files to the main marts.
--
-- It reads the same raw files as `ledgerlab ingest` and computes what the
-- dbt project computes for the main path — marts.fct_transactions,
-- marts.account_monthly, marts.loan_features — with the cleaning that
-- decides which rows reach them (parsing, code repairs, the rejection rules
-- of staging, duplicate rows, orphan foreign keys), mirroring models_sql/
-- and dbt_project/macros/. It skips what the marts do not need: the raw
-- copy with lineage, raw_record JSON, the quarantine, the other marts and
-- every test. Client ids are compared as integers and pseudonymised only on
-- output (HMAC-SHA256 is injective in practice, so joins and orphan checks
-- on the id give the same rows as on the pseudonym).
--
-- Placeholders filled by bench/floor.py: {{raw_dir}}, {{trans_file}},
-- {{events_file}}, {{pseudonym_key}}, {{data_end_date}}.

-- ---------------------------------------------------------------- helpers (the dbt macros)
create or replace temp macro parse_id(x) as try_cast(trim(x) as bigint);
create or replace temp macro parse_amount(x) as try_cast(try_cast(replace(trim(x), ',', '.') as double) as decimal(18, 2));
create or replace temp macro parse_double(x) as try_cast(try_cast(replace(trim(x), ',', '.') as double) as double);
create or replace temp macro parse_yymmdd(x) as
    case when regexp_full_match(trim(x), '[0-9]{6}( 00:00:00)?')
        then cast(try_strptime('19' || left(trim(x), 6), '%Y%m%d') as date) end;
create or replace temp macro clean_code(x) as nullif(upper(trim(x)), '');
create or replace temp macro clean_code_lower(x) as nullif(lower(trim(x)), '');
create or replace temp macro is_comma_decimal(x) as (x like '%,%' and x not like '%.%');
create or replace temp macro is_untrimmed(x) as (x <> trim(x) and trim(x) <> '');
create or replace temp macro is_wrong_case(x) as (trim(x) <> upper(trim(x)));
create or replace temp macro is_wrong_case_lower(x) as (trim(x) <> lower(trim(x)));
create or replace temp macro decode_birth_date(b) as
    case when length(trim(b)) = 6 then parse_yymmdd(
        substring(trim(b), 1, 2)
        || lpad(cast(case when try_cast(substring(trim(b), 3, 2) as integer) > 50
            then try_cast(substring(trim(b), 3, 2) as integer) - 50
            else try_cast(substring(trim(b), 3, 2) as integer) end as varchar), 2, '0')
        || substring(trim(b), 5, 2)) end;

-- HMAC-SHA256 (RFC 2104) from sha256, as dbt_project/macros/pseudonymize.sql
set variable hmac_key_block = (
    select rpad(lower(case when octet_length(encode(k)) > 64 then sha256(k) else hex(k) end), 128, '0')
    from (select '{{pseudonym_key}}' as k)
);
set variable hmac_ipad = (
    select string_agg(lpad(to_hex(xor(cast('0x' || substring(getvariable('hmac_key_block'), i * 32 + 1, 32) as uhugeint),
        cast('0x36363636363636363636363636363636' as uhugeint))), 32, '0'), '' order by i)
    from range(4) as t(i)
);
set variable hmac_opad = (
    select string_agg(lpad(to_hex(xor(cast('0x' || substring(getvariable('hmac_key_block'), i * 32 + 1, 32) as uhugeint),
        cast('0x5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c' as uhugeint))), 32, '0'), '' order by i)
    from range(4) as t(i)
);
create or replace temp macro pseudonymize(id) as
    case when id is not null then sha256(unhex(getvariable('hmac_opad')
        || sha256(unhex(getvariable('hmac_ipad') || hex(cast(id as varchar)))))) end;

-- ---------------------------------------------------------------- raw files (all text, like ingest)
-- `line` keeps the file order of the parsed rows: only its order matters
-- (same-day tie-breaks and which copy of a duplicate is kept).
create or replace temp view raw_district as
select *, row_number() over () + 1 as line from read_csv('{{raw_dir}}/district.asc', delim=';', quote='"', escape='"',
    header=true, auto_detect=false, allow_quoted_nulls=false, ignore_errors=true,
    columns={'a1': 'VARCHAR', 'a2': 'VARCHAR', 'a3': 'VARCHAR', 'a4': 'VARCHAR', 'a5': 'VARCHAR', 'a6': 'VARCHAR',
             'a7': 'VARCHAR', 'a8': 'VARCHAR', 'a9': 'VARCHAR', 'a10': 'VARCHAR', 'a11': 'VARCHAR', 'a12': 'VARCHAR',
             'a13': 'VARCHAR', 'a14': 'VARCHAR', 'a15': 'VARCHAR', 'a16': 'VARCHAR'});

create or replace temp view raw_account as
select *, row_number() over () + 1 as line from read_csv('{{raw_dir}}/account.asc', delim=';', quote='"', escape='"',
    header=true, auto_detect=false, allow_quoted_nulls=false, ignore_errors=true,
    columns={'account_id': 'VARCHAR', 'district_id': 'VARCHAR', 'frequency': 'VARCHAR', 'date': 'VARCHAR'});

create or replace temp view raw_client as
select *, row_number() over () + 1 as line from read_csv('{{raw_dir}}/client.asc', delim=';', quote='"', escape='"',
    header=true, auto_detect=false, allow_quoted_nulls=false, ignore_errors=true,
    columns={'client_id': 'VARCHAR', 'birth_number': 'VARCHAR', 'district_id': 'VARCHAR'});

create or replace temp view raw_disp as
select *, row_number() over () + 1 as line from read_csv('{{raw_dir}}/disp.asc', delim=';', quote='"', escape='"',
    header=true, auto_detect=false, allow_quoted_nulls=false, ignore_errors=true,
    columns={'disp_id': 'VARCHAR', 'client_id': 'VARCHAR', 'account_id': 'VARCHAR', 'type': 'VARCHAR'});

create or replace temp view raw_loan as
select *, row_number() over () + 1 as line from read_csv('{{raw_dir}}/loan.asc', delim=';', quote='"', escape='"',
    header=true, auto_detect=false, allow_quoted_nulls=false, ignore_errors=true,
    columns={'loan_id': 'VARCHAR', 'account_id': 'VARCHAR', 'date': 'VARCHAR', 'amount': 'VARCHAR',
             'duration': 'VARCHAR', 'payments': 'VARCHAR', 'status': 'VARCHAR'});

create or replace temp view raw_card as
select *, row_number() over () + 1 as line from read_csv('{{raw_dir}}/card.asc', delim=';', quote='"', escape='"',
    header=true, auto_detect=false, allow_quoted_nulls=false, ignore_errors=true,
    columns={'card_id': 'VARCHAR', 'disp_id': 'VARCHAR', 'type': 'VARCHAR', 'issued': 'VARCHAR'});

-- ---------------------------------------------------------------- small tables: staged + verdict
create or replace temp table districts as
with staged as (
    select
        parse_id(a1) as district_id,
        parse_double(nullif(a10, '?')) as urban_ratio_pct,
        parse_double(nullif(a11, '?')) as avg_salary,
        parse_double(nullif(a12, '?')) as unemployment_rate_1995,
        parse_double(nullif(a13, '?')) as unemployment_rate_1996,
        parse_id(a1) is not null as is_valid,
        row_number() over (partition by a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16
                           order by line) as copy_number
    from raw_district
)
select *, is_valid and copy_number = 1 as is_clean from staged;

create or replace temp table accounts as
with staged as (
    select
        parse_id(account_id) as account_id,
        parse_id(district_id) as district_id,
        case clean_code(frequency)
            when 'POPLATEK MESICNE' then 'monthly'
            when 'POPLATEK TYDNE' then 'weekly'
            when 'POPLATEK PO OBRATU' then 'after_transaction'
        end as statement_frequency,
        parse_yymmdd(date) as opened_date,
        not (
            parse_id(account_id) is null or parse_id(district_id) is null
            or parse_yymmdd(date) is null
            or coalesce(clean_code(frequency) not in ('POPLATEK MESICNE', 'POPLATEK TYDNE', 'POPLATEK PO OBRATU'), true)
            or coalesce(parse_yymmdd(date) > date '{{data_end_date}}', false)
        ) as is_valid,
        row_number() over (partition by account_id, district_id, frequency, date order by line) as copy_number
    from raw_account
)
select
    *,
    is_valid and copy_number = 1
        and (district_id is null or district_id in (select district_id from districts where district_id is not null))
        as is_clean
from staged;

create or replace temp table clients as
with staged as (
    select
        parse_id(client_id) as client_id,
        parse_id(district_id) as district_id,
        decode_birth_date(birth_number) as birth_date,
        case when decode_birth_date(birth_number) is null then null
             when try_cast(substring(trim(birth_number), 3, 2) as integer) > 50 then 'F' else 'M' end as gender,
        not (
            parse_id(client_id) is null or parse_id(district_id) is null
            or decode_birth_date(birth_number) is null
            or coalesce(decode_birth_date(birth_number) > date '{{data_end_date}}', false)
        ) as is_valid,
        row_number() over (partition by client_id, birth_number, district_id order by line) as copy_number
    from raw_client
)
select
    *,
    is_valid and copy_number = 1
        and (district_id is null or district_id in (select district_id from districts where district_id is not null))
        as is_clean
from staged;

create or replace temp table dispositions as
with staged as (
    select
        parse_id(disp_id) as disp_id,
        parse_id(client_id) as client_id,
        parse_id(account_id) as account_id,
        case clean_code(type) when 'OWNER' then 'OWNER' when 'DISPONENT' then 'DISPONENT' end as disposition_type,
        not (
            parse_id(disp_id) is null or parse_id(client_id) is null or parse_id(account_id) is null
            or coalesce(clean_code(type) not in ('OWNER', 'DISPONENT'), true)
        ) as is_valid,
        row_number() over (partition by disp_id, client_id, account_id, type order by line) as copy_number
    from raw_disp
)
select
    *,
    is_valid and copy_number = 1
        and (client_id is null or client_id in (select client_id from clients where client_id is not null))
        and (account_id is null or account_id in (select account_id from accounts where account_id is not null))
        as is_clean
from staged;

create or replace temp table loans as
with staged as (
    select
        parse_id(loan_id) as loan_id,
        parse_id(account_id) as account_id,
        parse_yymmdd(date) as loan_date,
        parse_amount(amount) as loan_amount,
        try_cast(try_cast(trim(duration) as double) as integer) as loan_duration_months,
        parse_amount(payments) as monthly_payment,
        clean_code(status) as loan_status,
        clean_code(status) in ('B', 'D') as is_default,
        not (
            parse_id(loan_id) is null or parse_id(account_id) is null
            or parse_yymmdd(date) is null
            or coalesce(clean_code(status) not in ('A', 'B', 'C', 'D'), true)
            or coalesce(parse_amount(amount) <= 0, true) or coalesce(parse_amount(payments) <= 0, true)
            or coalesce(try_cast(trim(duration) as double) <= 0, true)
            or coalesce(parse_yymmdd(date) > date '{{data_end_date}}', false)
        ) as is_valid,
        row_number() over (partition by loan_id, account_id, date, amount, duration, payments, status
                           order by line) as copy_number
    from raw_loan
)
select
    *,
    is_valid and copy_number = 1
        and (account_id is null or account_id in (select account_id from accounts where account_id is not null))
        as is_clean
from staged;

create or replace temp table cards as
with staged as (
    select
        parse_id(disp_id) as disp_id,
        parse_yymmdd(issued) as issued_date,
        not (
            parse_id(card_id) is null or parse_id(disp_id) is null
            or parse_yymmdd(issued) is null
            or coalesce(clean_code_lower(type) not in ('junior', 'classic', 'gold'), true)
            or coalesce(parse_yymmdd(issued) > date '{{data_end_date}}', false)
        ) as is_valid,
        row_number() over (partition by card_id, disp_id, type, issued order by line) as copy_number
    from raw_card
)
select
    *,
    is_valid and copy_number = 1
        and (disp_id is null or disp_id in (select disp_id from dispositions where disp_id is not null))
        as is_clean
from staged;

-- int_accounts_joined_to_owners
create or replace temp table accounts_with_owners as
with
clean_dispositions as (select * from dispositions where is_clean),
dispositions_counted as (
    select account_id, count(*) as n_dispositions from clean_dispositions group by account_id
),
owners as (
    select d.account_id, d.client_id as owner_client_id, c.gender as owner_gender, c.birth_date as owner_birth_date
    from clean_dispositions as d
    left join (select * from clients where is_clean) as c on d.client_id = c.client_id
    where d.disposition_type = 'OWNER'
    qualify row_number() over (partition by d.account_id order by d.disp_id) = 1
)
select
    a.account_id, a.district_id, a.statement_frequency, a.opened_date,
    o.owner_client_id, o.owner_gender, o.owner_birth_date,
    coalesce(dc.n_dispositions, 0) as n_dispositions
from (select * from accounts where is_clean) as a
left join owners as o on a.account_id = o.account_id
left join dispositions_counted as dc on a.account_id = dc.account_id;

-- ---------------------------------------------------------------- transactions → marts.fct_transactions
create schema if not exists marts;

create or replace table marts.fct_transactions as
with
raw_trans as (
    select *, row_number() over () + 1 as line from {{trans_file}}
),
staged as (
    select
        parse_id(trans_id) as trans_id,
        parse_id(account_id) as account_id,
        parse_yymmdd(date) as trans_date,
        clean_code(type) as trans_type_code,
        case clean_code(type) when 'PRIJEM' then 'credit' when 'VYDAJ' then 'debit' when 'VYBER' then 'debit' end
            as direction,
        case clean_code(operation)
            when 'VYBER KARTOU' then 'card_withdrawal'
            when 'VKLAD' then 'cash_deposit'
            when 'PREVOD Z UCTU' then 'collection_from_other_bank'
            when 'VYBER' then 'cash_withdrawal'
            when 'PREVOD NA UCET' then 'remittance_to_other_bank'
        end as operation,
        case clean_code(k_symbol)
            when 'POJISTNE' then 'insurance'
            when 'SIPO' then 'household'
            when 'LEASING' then 'leasing'
            when 'UVER' then 'loan_payment'
            when 'SLUZBY' then 'statement_fee'
            when 'UROK' then 'interest_credited'
            when 'SANKC. UROK' then 'penalty_interest'
            when 'DUCHOD' then 'pension'
        end as payment_purpose,
        parse_amount(amount) as amount,
        case when clean_code(type) = 'PRIJEM' then parse_amount(amount) else -parse_amount(amount) end
            as signed_amount,
        parse_amount(balance) as balance_after,
        clean_code(bank) as counterparty_bank,
        nullif(trim(account), '') as counterparty_account,
        not (
            parse_id(trans_id) is null or parse_id(account_id) is null
            or parse_yymmdd(date) is null
            or coalesce(clean_code(type) not in ('PRIJEM', 'VYDAJ', 'VYBER'), true)
            or coalesce(clean_code(operation) not in ('VYBER KARTOU', 'VKLAD', 'PREVOD Z UCTU', 'VYBER',
                'PREVOD NA UCET'), false)
            or coalesce(clean_code(k_symbol) not in ('POJISTNE', 'SIPO', 'LEASING', 'UVER', 'SLUZBY', 'UROK',
                'SANKC. UROK', 'DUCHOD'), false)
            or coalesce(parse_amount(amount) <= 0, true)
            or (nullif(trim(balance), '') is not null and parse_double(balance) is null)
            or nullif(trim(balance), '') is null
            or coalesce(parse_yymmdd(date) > date '{{data_end_date}}', false)
        ) as is_valid,
        coalesce(is_comma_decimal(amount) or is_comma_decimal(balance), false)
            or coalesce(is_untrimmed(type) or is_untrimmed(operation) or is_untrimmed(k_symbol), false)
            or coalesce(is_wrong_case(type) or is_wrong_case(operation) or is_wrong_case(k_symbol), false)
            as is_repaired,
        line,
        row_number() over (partition by trans_id, account_id, date, type, operation, amount, balance,
                           k_symbol, bank, account order by line) as copy_number
    from raw_trans
)
select
    trans_id,
    account_id,
    trans_date,
    cast(date_trunc('month', trans_date) as date) as trans_month,
    direction,
    trans_type_code,
    operation,
    payment_purpose,
    amount,
    signed_amount,
    balance_after,
    counterparty_bank,
    counterparty_account,
    is_repaired,
    '{{trans_name}}' as _source_file,
    line as _source_line
from staged
where is_valid and copy_number = 1
    and (account_id is null or account_id in (select account_id from accounts where account_id is not null));

-- ---------------------------------------------------------------- marts.account_monthly
create or replace table marts.account_monthly as
with
categorised as (
    select
        *,
        case
            when direction = 'credit' and operation = 'cash_deposit' then 'cash_deposit'
            when direction = 'credit' and operation = 'collection_from_other_bank' then 'collection'
            when direction = 'credit' and payment_purpose = 'interest_credited' then 'interest'
            when direction = 'credit' then 'other'
            when operation = 'cash_withdrawal' then 'cash_withdrawal'
            when operation = 'card_withdrawal' then 'card_withdrawal'
            when operation = 'remittance_to_other_bank' then 'remittance'
            when payment_purpose in ('statement_fee', 'penalty_interest') then 'fees'
            else 'other'
        end as flow_kind
    from marts.fct_transactions
),
months_with_activity as (
    select
        account_id,
        trans_month,
        count(*) as n_transactions,
        min_by(balance_after - signed_amount, epoch(trans_date) * 1000000 + _source_line) as balance_before_first,
        max_by(balance_after, epoch(trans_date) * 1000000 + _source_line) as balance_after_last,
        min(balance_after) as min_balance,
        coalesce(sum(amount) filter (where direction = 'credit'), 0) as inflow_total,
        coalesce(sum(amount) filter (where direction = 'credit' and flow_kind = 'cash_deposit'), 0) as inflow_cash_deposit,
        coalesce(sum(amount) filter (where direction = 'credit' and flow_kind = 'collection'), 0) as inflow_collection,
        coalesce(sum(amount) filter (where direction = 'credit' and flow_kind = 'interest'), 0) as inflow_interest,
        coalesce(sum(amount) filter (where direction = 'credit' and flow_kind = 'other'), 0) as inflow_other,
        coalesce(sum(amount) filter (where direction = 'debit'), 0) as outflow_total,
        coalesce(sum(amount) filter (where direction = 'debit' and flow_kind = 'cash_withdrawal'), 0) as outflow_cash_withdrawal,
        coalesce(sum(amount) filter (where direction = 'debit' and flow_kind = 'card_withdrawal'), 0) as outflow_card_withdrawal,
        coalesce(sum(amount) filter (where direction = 'debit' and flow_kind = 'remittance'), 0) as outflow_remittance,
        coalesce(sum(amount) filter (where direction = 'debit' and flow_kind = 'fees'), 0) as outflow_fees,
        coalesce(sum(amount) filter (where direction = 'debit' and flow_kind = 'other'), 0) as outflow_other
    from categorised
    group by account_id, trans_month
),
account_months as (
    select s.account_id, cast(m.month_start as date) as month_start
    from (select account_id, min(trans_month) as first_month, max(trans_month) as last_month
          from months_with_activity group by account_id) as s
    cross join lateral (select unnest(generate_series(s.first_month, s.last_month, interval 1 month)) as month_start) as m
),
months_filled as (
    select
        am.account_id,
        am.month_start,
        coalesce(a.n_transactions, 0) as n_transactions,
        a.balance_before_first,
        last_value(a.balance_after_last ignore nulls) over (
            partition by am.account_id order by am.month_start rows between unbounded preceding and current row
        ) as closing_balance,
        a.min_balance,
        coalesce(a.inflow_total, 0) as inflow_total,
        coalesce(a.inflow_cash_deposit, 0) as inflow_cash_deposit,
        coalesce(a.inflow_collection, 0) as inflow_collection,
        coalesce(a.inflow_interest, 0) as inflow_interest,
        coalesce(a.inflow_other, 0) as inflow_other,
        coalesce(a.outflow_total, 0) as outflow_total,
        coalesce(a.outflow_cash_withdrawal, 0) as outflow_cash_withdrawal,
        coalesce(a.outflow_card_withdrawal, 0) as outflow_card_withdrawal,
        coalesce(a.outflow_remittance, 0) as outflow_remittance,
        coalesce(a.outflow_fees, 0) as outflow_fees,
        coalesce(a.outflow_other, 0) as outflow_other,
        row_number() over (partition by am.account_id order by am.month_start) as month_number
    from account_months as am
    left join months_with_activity as a on am.account_id = a.account_id and am.month_start = a.trans_month
)
select
    account_id,
    month_start,
    month_number,
    cast(case when month_number = 1 then balance_before_first
        else lag(closing_balance) over (partition by account_id order by month_start) end as double) as opening_balance,
    cast(closing_balance as double) as closing_balance,
    cast(coalesce(min_balance, closing_balance) as double) as min_balance,
    n_transactions,
    cast(inflow_total - outflow_total as double) as net_flow,
    cast(inflow_total as double) as inflow_total,
    cast(inflow_cash_deposit as double) as inflow_cash_deposit,
    cast(inflow_collection as double) as inflow_collection,
    cast(inflow_interest as double) as inflow_interest,
    cast(inflow_other as double) as inflow_other,
    cast(outflow_total as double) as outflow_total,
    cast(outflow_cash_withdrawal as double) as outflow_cash_withdrawal,
    cast(outflow_card_withdrawal as double) as outflow_card_withdrawal,
    cast(outflow_remittance as double) as outflow_remittance,
    cast(outflow_fees as double) as outflow_fees,
    cast(outflow_other as double) as outflow_other
from months_filled;

-- ---------------------------------------------------------------- digital events (clean rows only)
create or replace temp table events as
with
lines as (
    select raw_line, row_number() over () as line from {{events_file}}
),
parsed as (
    select
        raw_line,
        line,
        case when json_valid(raw_line) then json_type(raw_line) = 'OBJECT' else false end as is_json_object
    from lines
),
extracted as (
    select
        raw_line,
        line,
        is_json_object,
        json_extract_string(case when is_json_object then raw_line end,
            ['$.event_id', '$.client_id', '$.schema_version', '$.event_time', '$.ts', '$.event_type',
             '$.channel', '$.amount']) as f
    from parsed
),
fields as (
    select
        raw_line,
        line,
        is_json_object,
        f[1] as event_id_text,
        f[2] as client_id_text,
        f[3] as schema_version_text,
        coalesce(f[4], f[5]) as event_time_text,
        f[6] as event_type_text,
        f[7] as channel_text,
        f[8] as amount_text
    from extracted
),
staged as (
    select
        parse_id(client_id_text) as client_id,
        cast(try_cast(event_time_text as timestamp) as date) as event_date,
        clean_code_lower(event_type_text) as event_type,
        not (
            not is_json_object
            or nullif(trim(event_id_text), '') is null or parse_id(client_id_text) is null
            or try_cast(event_time_text as timestamp) is null
            or coalesce(clean_code_lower(event_type_text) not in ('login', 'payment_initiated', 'card_block',
                'limit_change', 'password_reset', 'statement_view'), true)
            or coalesce(clean_code_lower(channel_text) not in ('web', 'mobile'), true)
            or coalesce(try_cast(schema_version_text as integer) not in (1, 2), true)
            or (amount_text is not null and coalesce(parse_double(amount_text) <= 0, true))
            or coalesce(cast(try_cast(event_time_text as timestamp) as date) > date '{{data_end_date}}', false)
        ) as is_valid,
        row_number() over (partition by raw_line order by line) as copy_number
    from fields
)
select client_id, event_date, event_type
from staged
where is_valid and copy_number = 1
    and (client_id is null or client_id in (select client_id from clients where client_id is not null));

-- ---------------------------------------------------------------- marts.loan_features
create or replace table marts.loan_features as
with
clean_loans as (select * from loans where is_clean),
spines as (
    select l.loan_id, l.account_id, a.owner_client_id as client_id, l.loan_date as as_of_date
    from clean_loans as l
    left join accounts_with_owners as a on l.account_id = a.account_id
),
transactions_before as (
    select s.loan_id, s.as_of_date, t.*
    from spines as s
    inner join marts.fct_transactions as t on s.account_id = t.account_id and t.trans_date < s.as_of_date
),
history_summarised as (
    select
        loan_id,
        count(*) as n_transactions,
        avg(balance_after) as mean_balance,
        stddev_samp(balance_after) as std_balance,
        min(balance_after) as min_balance,
        max_by(balance_after, epoch(trans_date) * 1000000 + _source_line) as last_balance,
        count(*) filter (where balance_after < 0) as n_negative_balance,
        count(*) filter (where payment_purpose = 'penalty_interest') as n_penalty_interest,
        coalesce(sum(amount) filter (where direction = 'credit' and trans_date >= as_of_date - interval 3 month), 0)
            as inflow_last_3m,
        max(as_of_date) - max(trans_date) as days_since_last_transaction
    from transactions_before
    group by loan_id
),
months_summarised as (
    select loan_id, count(*) as history_months, avg(inflow) as mean_monthly_inflow,
        stddev_samp(inflow) as std_monthly_inflow, avg(outflow) as mean_monthly_outflow
    from (
        select loan_id, trans_month,
            coalesce(sum(amount) filter (where direction = 'credit'), 0) as inflow,
            coalesce(sum(amount) filter (where direction = 'debit'), 0) as outflow
        from transactions_before
        group by loan_id, trans_month
    )
    group by loan_id
),
events_summarised as (
    select
        s.loan_id,
        count(*) filter (where e.event_type = 'login' and e.event_date >= s.as_of_date - 90) as logins_last_90d,
        count(*) filter (where e.event_type = 'login' and e.event_date >= s.as_of_date - 180
            and e.event_date < s.as_of_date - 90) as logins_prev_90d,
        count(*) filter (where e.event_date >= s.as_of_date - 180) as digital_events_last_180d,
        count(*) filter (where e.event_type = 'password_reset' and e.event_date >= s.as_of_date - 180)
            as password_resets_last_180d,
        max(s.as_of_date) - max(e.event_date) filter (where e.event_type = 'login') as days_since_last_login
    from spines as s
    inner join events as e on s.client_id = e.client_id and e.event_date < s.as_of_date
    group by s.loan_id
),
cards_before as (
    select s.loan_id, count(*) > 0 as has_card
    from spines as s
    inner join (select * from dispositions where is_clean) as d on s.account_id = d.account_id
    inner join (select * from cards where is_clean) as c on d.disp_id = c.disp_id and c.issued_date < s.as_of_date
    group by s.loan_id
)
select
    l.loan_id,
    l.account_id,
    l.loan_date,
    cast(l.loan_amount as double) as loan_amount,
    l.loan_duration_months,
    cast(l.monthly_payment as double) as monthly_payment,
    l.loan_status,
    l.is_default,
    pseudonymize(s.client_id) as owner_client_key,
    a.owner_gender,
    cast(date_sub('year', a.owner_birth_date, s.as_of_date) as integer) as owner_age_at_loan,
    case
        when cast(date_sub('year', a.owner_birth_date, s.as_of_date) as integer) is null then null
        when cast(date_sub('year', a.owner_birth_date, s.as_of_date) as integer) < 18 then '<18'
        when cast(date_sub('year', a.owner_birth_date, s.as_of_date) as integer) < 25 then '18-24'
        when cast(date_sub('year', a.owner_birth_date, s.as_of_date) as integer) < 35 then '25-34'
        when cast(date_sub('year', a.owner_birth_date, s.as_of_date) as integer) < 45 then '35-44'
        when cast(date_sub('year', a.owner_birth_date, s.as_of_date) as integer) < 55 then '45-54'
        when cast(date_sub('year', a.owner_birth_date, s.as_of_date) as integer) < 65 then '55-64'
        else '65+'
    end as owner_age_band,
    a.district_id,
    case when extract(year from s.as_of_date) >= 1997
        then coalesce(d.unemployment_rate_1996, d.unemployment_rate_1995)
        else coalesce(d.unemployment_rate_1995, d.unemployment_rate_1996) end as district_unemployment_rate,
    d.avg_salary as district_avg_salary,
    d.urban_ratio_pct / 100.0 as district_urban_ratio,
    a.statement_frequency,
    s.as_of_date - a.opened_date as account_age_days,
    a.n_dispositions,
    coalesce(cb.has_card, false) as has_card,
    coalesce(ms.history_months, 0) as history_months,
    coalesce(h.n_transactions, 0) as n_transactions,
    cast(ms.mean_monthly_inflow as double) as mean_monthly_inflow,
    cast(ms.std_monthly_inflow as double) as std_monthly_inflow,
    cast(ms.mean_monthly_outflow as double) as mean_monthly_outflow,
    cast(coalesce(h.inflow_last_3m, 0) as double) as inflow_last_3m,
    cast(h.mean_balance as double) as mean_balance,
    cast(h.std_balance as double) as std_balance,
    cast(h.min_balance as double) as min_balance,
    cast(h.last_balance as double) as last_balance,
    coalesce(h.n_negative_balance, 0) as n_negative_balance,
    coalesce(h.n_penalty_interest, 0) as n_penalty_interest,
    h.days_since_last_transaction,
    coalesce(es.logins_last_90d, 0) as logins_last_90d,
    coalesce(es.logins_prev_90d, 0) as logins_prev_90d,
    coalesce(es.digital_events_last_180d, 0) as digital_events_last_180d,
    coalesce(es.password_resets_last_180d, 0) as password_resets_last_180d,
    es.days_since_last_login
from clean_loans as l
left join spines as s on l.loan_id = s.loan_id
left join accounts_with_owners as a on s.account_id = a.account_id
left join (select * from districts where is_clean) as d on a.district_id = d.district_id
left join history_summarised as h on l.loan_id = h.loan_id
left join months_summarised as ms on l.loan_id = ms.loan_id
left join events_summarised as es on l.loan_id = es.loan_id
left join cards_before as cb on l.loan_id = cb.loan_id;
