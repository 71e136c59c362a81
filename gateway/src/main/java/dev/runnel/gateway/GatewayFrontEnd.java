package dev.runnel.gateway;

import dev.runnel.app.FrontEnd;
import dev.runnel.config.RunnelConfig;

/** Lets the embedded default start a gateway when this module is on the class path. */
public final class GatewayFrontEnd implements FrontEnd.Factory {
  @Override
  public FrontEnd start(RunnelConfig config) {
    Gateway gateway = Gateway.start(config);
    return new FrontEnd() {
      @Override
      public String url() {
        return gateway.url() + "/";
      }

      @Override
      public void close() {
        gateway.close();
      }
    };
  }
}
