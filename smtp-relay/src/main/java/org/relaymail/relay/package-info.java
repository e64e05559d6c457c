/**
 * {@code RelayClient}, the front door: {@code send()} queues a message durably and delivery workers
 * route it by MX or through a smarthost, retry it and bounce it. {@code QueueAdministration} is its
 * queue administration (list, inspect, hold, release, retry, delete, bounce); {@code RelayAdmin}
 * offers the same to another process of the same user through the running relay's local admin
 * channel (a Unix-domain socket, {@code <spool>/admin.sock} by default), and takes new messages
 * there ({@code RelayAdmin.submit}, what {@code relaymail send --spool} uses beside a running relay).
 */
package org.relaymail.relay;
