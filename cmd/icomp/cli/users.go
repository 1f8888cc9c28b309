package cli

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/icomp/icomp/server"
	"github.com/icomp/icomp/storage"
)

func newUsersCmd(e *env, db *string) *cobra.Command {
	cmd := group("users", "Manage the web app's users and API tokens")
	var email, role, person, passwordFile string
	add := &cobra.Command{
		Use:   "add --email E --role admin|payroll|manager|rep [--person ID] [--password-file F]",
		Short: "Add a user; the password is read from --password-file or stdin, never from a flag",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			pw, err := readPassword(e, passwordFile)
			if err != nil {
				return err
			}
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			u, err := server.AddUser(ctx, ws.store, server.AddUserParams{Email: email, Role: role, Person: person, Password: pw, By: whoami()}, time.Now())
			if err != nil {
				return usageError{err}
			}
			fmt.Fprintf(e.out, "added %s (%s%s)\n", u.Email, u.Role, map[bool]string{true: " of " + u.Person, false: ""}[u.Person != ""])
			return nil
		},
	}
	add.Flags().StringVar(&email, "email", "", "the user's email, which they sign in with")
	add.Flags().StringVar(&role, "role", "", "admin, payroll, manager or rep")
	add.Flags().StringVar(&person, "person", "", "the person id the user is (needed for a rep or manager)")
	add.Flags().StringVar(&passwordFile, "password-file", "", "read the password from this file's first line (default: stdin)")
	_ = add.MarkFlagRequired("email")
	_ = add.MarkFlagRequired("role")

	var tokenEmail, label string
	token := &cobra.Command{
		Use:   "token --email E [--label L]",
		Short: "Make an API bearer token for a user; printed once, only its hash is kept",
		Long: `Make an API bearer token for a user. The token is printed once on stdout;
its id (for icomp users tokens and icomp users revoke-token) on stderr. Only
the token's SHA-256 is stored.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			tok, err := server.NewLabeledAPIToken(ctx, ws.store, server.NewTokenParams{Email: tokenEmail, Label: label, By: whoami()}, time.Now())
			if err != nil {
				return usageError{err}
			}
			fmt.Fprintln(e.out, tok.Secret)
			named := ""
			if label != "" {
				named = fmt.Sprintf(" (%s)", label)
			}
			fmt.Fprintf(e.errOut, "API token %d%s. Keep this token: it is not shown again. Send it as: Authorization: Bearer <token>\n", tok.ID, named)
			return nil
		},
	}
	token.Flags().StringVar(&tokenEmail, "email", "", "the user's email")
	token.Flags().StringVar(&label, "label", "", "what the token is for, shown in icomp users tokens")
	_ = token.MarkFlagRequired("email")

	var tokensEmail string
	tokens := &cobra.Command{
		Use:   "tokens [--email E]",
		Short: "List API tokens (id, user, label, made, revoked); never the tokens themselves",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			rows, err := server.ListTokens(ctx, ws.store, tokensEmail)
			if server.IsRefusal(err) {
				return usageError{err}
			} else if err != nil {
				return err
			}
			fmt.Fprintf(e.out, "%-5s  %-32s  %-20s  %-20s  %s\n", "id", "email", "label", "made", "state")
			for _, r := range rows {
				state := "active"
				if r.RevokedAt != "" {
					state = "revoked " + r.RevokedAt
				}
				fmt.Fprintf(e.out, "%-5d  %-32s  %-20s  %-20s  %s\n", r.ID, r.Email, orDash(r.Label), r.CreatedAt, state)
			}
			return nil
		},
	}
	tokens.Flags().StringVar(&tokensEmail, "email", "", "only this user's tokens")

	revoke := &cobra.Command{
		Use:   "revoke-token ID",
		Short: "Revoke an API token (by its id, from icomp users tokens): refused from its next request",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return usageError{fmt.Errorf("token id %q: want the number icomp users tokens shows", args[0])}
			}
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			row, err := server.RevokeToken(ctx, ws.store, id, whoami(), time.Now())
			switch {
			case errors.Is(err, storage.ErrNotFound):
				return usageError{fmt.Errorf("no API token %d (icomp users tokens lists them)", id)}
			case server.IsRefusal(err):
				return usageError{err}
			case err != nil:
				return err
			}
			fmt.Fprintf(e.out, "revoked API token %d of %s%s\n", row.ID, row.Email, map[bool]string{true: " (" + row.Label + ")", false: ""}[row.Label != ""])
			return nil
		},
	}

	setDisabled := func(disable bool) *cobra.Command {
		verb, short := "enable", "Enable a disabled user again: they may sign in, their unrevoked API tokens work again"
		if disable {
			verb, short = "disable", "Disable a user: they cannot sign in, their sessions end and their API tokens are refused"
		}
		var who string
		c := &cobra.Command{
			Use:   verb + " --email E",
			Short: short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				ctx := cmd.Context()
				ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
				if err != nil {
					return err
				}
				defer ws.close()
				u, err := server.SetUserDisabled(ctx, ws.store, server.SetDisabledParams{Email: who, Disable: disable, By: whoami()}, time.Now())
				if server.IsRefusal(err) {
					return usageError{err}
				} else if err != nil {
					return err
				}
				fmt.Fprintf(e.out, "%sd %s (%s)\n", verb, u.Email, u.Role)
				return nil
			},
		}
		c.Flags().StringVar(&who, "email", "", "the user's email")
		_ = c.MarkFlagRequired("email")
		return c
	}

	list := &cobra.Command{
		Use:   "list",
		Short: "List users, with whether each is disabled",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			ws, err := openWorkspace(ctx, dbTarget(*db), workspaceOptions{existing: true})
			if err != nil {
				return err
			}
			defer ws.close()
			us, err := ws.store.UserList(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.out, "%-32s  %-8s  %-10s  %-20s  %s\n", "email", "role", "person", "added", "state")
			for _, u := range us {
				state := "active"
				if u.Disabled() {
					state = "disabled " + u.DisabledAt
				}
				fmt.Fprintf(e.out, "%-32s  %-8s  %-10s  %-20s  %s\n", u.Email, u.Role, orDash(u.Person), u.CreatedAt, state)
			}
			return nil
		},
	}
	cmd.AddCommand(add, token, tokens, revoke, setDisabled(true), setDisabled(false), list)
	return cmd
}
