//! The end-to-end suite: the whole API over real HTTP (and the Lambda handlers from their
//! events), one module per area, in one test binary so the engine, SQLite and the AWS SDK are
//! linked once. `OZ_TEST_STORAGE=aws` runs it on DynamoDB/S3/SQS (a moto server the harness
//! starts); `scripts/test` runs it both ways.

mod common;

mod abuse;
mod analyses;
mod api_flow;
mod bad_input;
mod binary;
mod capture;
mod collections;
mod decisions;
mod faults;
mod gestures;
mod instant;
mod lambda_events;
mod lambda_init;
mod lambda_runtime;
mod lite;
mod openapi;
mod oz_clients;
mod readme_commands;
mod roles;
mod webhooks;
