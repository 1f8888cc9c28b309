package server

import (
	"context"
	"errors"
	"sort"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/storage"
)

// visiblePeople returns the people p may see statements of in the period,
// and whether that is everyone (admins). A rep sees themself; a manager
// themself and everyone below them in the hierarchy in force on the
// period's last day (the effective-dated manager column of people).
func (s *Server) visiblePeople(ctx context.Context, p *principal, per period.Period) (map[string]bool, bool, error) {
	switch p.User.Role {
	case storage.RoleAdmin:
		return nil, true, nil
	case storage.RoleRep:
		if p.User.Person == "" {
			return map[string]bool{}, false, nil
		}
		return map[string]bool{p.User.Person: true}, false, nil
	case storage.RoleManager:
		if p.User.Person == "" {
			return map[string]bool{}, false, nil
		}
		people, err := s.cfg.Store.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: per.End})
		if err != nil {
			return nil, false, err
		}
		return subtree(people, p.User.Person), false, nil
	}
	return map[string]bool{}, false, nil
}

// subtree is root and everyone who reports to root, directly or not.
func subtree(people []storage.PersonRecord, root string) map[string]bool {
	reports := map[string][]string{}
	for _, x := range people {
		if x.Manager != "" {
			reports[x.Manager] = append(reports[x.Manager], x.ID)
		}
	}
	seen := map[string]bool{root: true}
	queue := []string{root}
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		for _, r := range reports[m] {
			if !seen[r] {
				seen[r] = true
				queue = append(queue, r)
			}
		}
	}
	return seen
}

// errHidden is a statement the principal may not see, or that does not
// exist: both are 404, so that nobody learns who exists.
var errHidden = errors.New("no such statement")

// statementAccess parses the period and checks that p may see person's
// statement in it; errHidden when not (or when either does not exist).
func (s *Server) statementAccess(ctx context.Context, p *principal, person, label string) (period.Period, error) {
	per, err := periods.Parse(ctx, s.cfg.Store, label)
	if err != nil {
		return per, errHidden
	}
	ids, err := s.cfg.Store.PersonIDs(ctx)
	if err != nil {
		return per, err
	}
	if !ids[person] {
		return per, errHidden
	}
	visible, all, err := s.visiblePeople(ctx, p, per)
	if err != nil {
		return per, err
	}
	if !all && !visible[person] {
		return per, errHidden
	}
	return per, nil
}

// teamOf lists the people of the team view: for a manager their reports
// (not themself), for an admin the reports of manager, or everyone when
// manager is empty; by id.
func (s *Server) teamOf(ctx context.Context, p *principal, per period.Period, manager string) ([]storage.PersonRecord, error) {
	people, err := s.cfg.Store.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: per.End})
	if err != nil {
		return nil, err
	}
	root := manager
	if p.User.Role == storage.RoleManager {
		if p.User.Person == "" {
			return nil, nil
		}
		root = p.User.Person
	}
	var team []storage.PersonRecord
	if root == "" {
		team = people
	} else {
		in := subtree(people, root)
		for _, x := range people {
			if in[x.ID] && x.ID != root {
				team = append(team, x)
			}
		}
	}
	sort.Slice(team, func(i, j int) bool { return team[i].ID < team[j].ID })
	return team, nil
}
