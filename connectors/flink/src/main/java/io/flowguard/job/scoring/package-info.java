/**
 * The scoring operator's Flink state types, under the package name they had when the operator lived in
 * the job. Flink's POJO serializer writes a state type's class name into every checkpoint and savepoint,
 * so these two records keep their names for savepoints of earlier versions to restore; nothing else
 * belongs here.
 */
package io.flowguard.job.scoring;
