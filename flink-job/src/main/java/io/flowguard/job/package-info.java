/**
 * The Flowguard Flink job: {@link io.flowguard.job.FlowguardJob} (the cluster entry point), {@link
 * io.flowguard.job.JobConfig} (its options), {@link io.flowguard.job.FlowguardPipeline} (the one
 * pipeline builder shared by the job, the demo, the benchmark and the tests). The demo
 * ({@code io.flowguard.job.Demo}: everything in one JVM, embedded Kafka, a model trained on the spot,
 * local Flink) lives in the flowguard-demo module, outside the cluster jar. See docs/configuration.md.
 */
package io.flowguard.job;
