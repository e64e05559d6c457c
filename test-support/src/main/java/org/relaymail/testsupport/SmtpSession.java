package org.relaymail.testsupport;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * The state of one session of the {@link ScriptedSmtpServer}, as a {@link Rule} sees it while the
 * server decides how to answer a command. Read it only from the rule that receives it (the
 * session's own thread); it is not safe to keep or share.
 */
public interface SmtpSession {

  /**
   * The session number: 1 for the first connection the server accepted, 2 for the next, ...
   *
   * @return the session number
   */
  int id();

  /**
   * The client's address.
   *
   * @return the remote socket address
   */
  InetSocketAddress remoteAddress();

  /**
   * The name the client gave in EHLO or HELO, if it did.
   *
   * @return the HELO name
   */
  Optional<String> heloName();

  /**
   * Whether the session is encrypted (STARTTLS done or implicit TLS).
   *
   * @return true over TLS
   */
  boolean tls();

  /**
   * The user name authenticated with AUTH, if any.
   *
   * @return the user
   */
  Optional<String> authenticatedUser();

  /**
   * Whether a mail transaction is open (MAIL was accepted and no RSET, EHLO or end of message
   * closed it).
   *
   * @return true inside a transaction
   */
  boolean inTransaction();

  /**
   * The reverse path of the open transaction ({@code ""} for the null path), if one is open.
   *
   * @return the sender
   */
  Optional<String> sender();

  /**
   * The recipients accepted so far in the open transaction, in order.
   *
   * @return the recipients
   */
  List<String> recipients();

  /**
   * How many commands of the given stage this session has received, counting the one being
   * answered now.
   *
   * @param stage the stage
   * @return the count
   */
  int count(Stage stage);

  /**
   * How many messages this session has accepted so far.
   *
   * @return the count
   */
  int messagesAccepted();
}
