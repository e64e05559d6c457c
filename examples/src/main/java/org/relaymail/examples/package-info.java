/** Runnable demo, command-line tool and examples. */
package org.relaymail.examples;
