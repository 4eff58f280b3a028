/** The end-to-end benchmark of the job ({@code flink-job/bench.sh}). */
package io.flowguard.job.bench;
