package dev.runnel.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runnel.action.ActionInput;
import dev.runnel.action.ActionOutput;
import dev.runnel.action.ActionSpec;
import dev.runnel.action.ActionState;
import dev.runnel.action.RunningAction;
import dev.runnel.action.StreamingAction;
import dev.runnel.application.Application;
import dev.runnel.chat.ChatAction;
import dev.runnel.config.RunnelConfig;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class ActionProvidersTest {

  /** A provider named by its class name. */
  public static final class NamedByClass implements ActionProvider {
    @Override
    public String name() {
      return "by-class";
    }

    @Override
    public StreamingAction create(RunnelConfig config) {
      return new StreamingAction() {
        @Override
        public ActionSpec spec() {
          return new ActionSpec("by-class", Set.of(), Set.of());
        }

        @Override
        public RunningAction start(ActionState state, ActionInput input, ActionOutput output) {
          output.partial("unused");
          return () -> {};
        }
      };
    }
  }

  private static RunnelConfig actions(String value) {
    return new RunnelConfig(
        Map.of(
            RunnelConfig.ACTIONS_CONFIG,
            value,
            RunnelConfig.MODEL_PROVIDER_CONFIG,
            RunnelConfig.PROVIDER_OPENAI,
            RunnelConfig.MODEL_BASE_URL_CONFIG,
            "http://127.0.0.1:9/v1"));
  }

  /** An application provider named by its class name. */
  public static final class TwoSteps implements ApplicationProvider {
    @Override
    public String name() {
      return "two-steps";
    }

    @Override
    public Application create(RunnelConfig config) {
      NamedByClass actions = new NamedByClass();
      StreamingAction first = renamed(actions.create(config), "first");
      StreamingAction second = renamed(actions.create(config), "second");
      return Application.builder("two-steps")
          .action(first)
          .action(second)
          .entry("first")
          .transition("first", "second")
          .halt("second")
          .build();
    }

    private static StreamingAction renamed(StreamingAction action, String name) {
      return new StreamingAction() {
        @Override
        public ActionSpec spec() {
          return new ActionSpec(name, Set.of(), Set.of());
        }

        @Override
        public RunningAction start(ActionState state, ActionInput input, ActionOutput output) {
          return action.start(state, input, output);
        }
      };
    }
  }

  @Test
  void theDefaultIsTheChatActionFoundThroughTheServiceLoader() {
    List<StreamingAction> created =
        ActionProviders.actionsOf(ActionProviders.create(actions("chat")));
    assertThat(created).singleElement().isInstanceOf(ChatAction.class);
    created.forEach(StreamingAction::close);
  }

  @Test
  void aProviderIsAlsoFoundByItsClassName() {
    List<Application> created =
        ActionProviders.create(
            actions("chat," + NamedByClass.class.getName() + "," + TwoSteps.class.getName()));
    assertThat(created)
        .extracting(Application::name)
        .containsExactly("chat", "by-class", "two-steps");
    assertThat(created.get(2).entry()).isEqualTo("first");
    ActionProviders.actionsOf(created).forEach(StreamingAction::close);
  }

  @Test
  void anUnknownEntryNamesItselfAndTheProvidersFound() {
    assertThatThrownBy(() -> ActionProviders.create(actions("translate")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "Invalid value translate for configuration runnel.actions: no action or application"
                + " provider of that name on the class path (providers found: [chat]) and no class of that name");
  }

  @Test
  void aClassThatIsNoProviderIsRefused() {
    assertThatThrownBy(() -> ActionProviders.create(actions(String.class.getName())))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "Invalid value java.lang.String for configuration runnel.actions: the class implements"
                + " neither ActionProvider nor ApplicationProvider");
  }

  @Test
  void anEmptyListIsRefused() {
    assertThatThrownBy(() -> actions(""))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("runnel.actions")
        .hasMessageContaining("name at least one action provider");
  }

  @Test
  void actionsInCodeAndTheSettingTogetherAreRefusedBeforeAnythingStarts() {
    assertThatThrownBy(
            () -> Runnel.builder(actions("chat")).action(new NamedByClass().create(null)).start())
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "Invalid value [chat] for configuration runnel.actions: the code that starts this"
                + " instance names its actions; remove the setting");
  }
}
