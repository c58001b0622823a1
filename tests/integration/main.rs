//! The integration tests: one binary (one link of polars, the AWS SDK and kube instead of
//! one per file), one module per area. `support` holds the scripted LLM server, task
//! fixtures and the moto wrapper; `fake_kube` the fake Kubernetes API server.

mod fake_kube;
mod support;

mod agent_archives;
mod agent_failures;
mod agent_out;
mod agent_resume;
mod agent_sandbox;
mod agent_search;
mod agent_store;
mod bad_input;
mod bad_input_props;
mod bench_demo;
mod bench_mlebench;
mod bench_readers;
mod bench_rebench;
mod bench_suite;
mod fleet_index;
mod fleet_llm_endpoint;
mod fleet_local;
mod grade_cli;
mod grade_leaderboard;
mod grade_metric_goldens;
mod grade_report;
mod grade_submission;
mod grade_validate;
mod import_aideml;
mod kube_executor;
mod kube_render;
mod kube_requests;
mod kube_run;
mod llm_providers;
mod report_demo;
mod report_html;
mod report_markdown;
mod report_mlebench;
mod report_nightly;
mod report_run;
mod report_stats;
mod store_backends;
mod store_mirror;
