/** Benchmarks: JMH micro-benchmarks and load harnesses, each against an anchor measured in the same run. */
package org.relaymail.benchmarks;
