package bot

import (
	"fmt"
	"os"
	"strings"
)

// LoadToken reads the bot token: from the environment variable TokenEnv
// (getenv), else from tokenFile (telegram.token_file in the config). It is
// never read from the config file itself.
func LoadToken(tokenFile string, getenv func(string) string) (Token, error) {
	if t := strings.TrimSpace(getenv(TokenEnv)); t != "" {
		return Token(t), nil
	}
	if tokenFile == "" {
		return "", fmt.Errorf("no bot token: set %s, or telegram.token_file in the config (get a token from @BotFather)", TokenEnv)
	}
	data, err := os.ReadFile(tokenFile)
	if err != nil {
		return "", fmt.Errorf("read telegram.token_file: %w", err)
	}
	t := strings.TrimSpace(string(data))
	if t == "" {
		return "", fmt.Errorf("telegram.token_file %s is empty", tokenFile)
	}
	return Token(t), nil
}
