package remediation

import (
	"fmt"
	"os"
	"time"
)

// fileStamp identifies a version of the rules file cheaply.
type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{fi.ModTime(), fi.Size()}
}

// Rules returns a copy of the rules in force.
func (m *Manager) Rules() []Rule {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Rule, len(m.rules))
	for i, r := range m.rules {
		out[i] = cloneRule(r)
	}
	return out
}

func cloneRule(r Rule) Rule {
	r.Command = append([]string(nil), r.Command...)
	if r.Env != nil {
		env := make(map[string]string, len(r.Env))
		for k, v := range r.Env {
			env[k] = v
		}
		r.Env = env
	}
	return r
}

// RulesError is why the rules file on disk is not in force, or nil.
func (m *Manager) RulesError() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rulesErr
}

// RulesPath is the rules file.
func (m *Manager) RulesPath() string { return m.o.RulesPath }

// ReloadRules reads the rules file again. If it is invalid the last valid
// rules stay in force and the error is also kept for RulesError.
func (m *Manager) ReloadRules() error {
	stamp := stampOf(m.o.RulesPath)
	rules, err := LoadRules(m.o.RulesPath)
	m.mu.Lock()
	m.rulesSeen = stamp
	m.rulesErr = err
	if err == nil {
		m.rules = rules
	}
	m.mu.Unlock()
	m.emit(Change{Kind: ChangeRules})
	return err
}

// SetRules validates rules, saves them to the rules file and puts them in
// force. Invalid rules change nothing.
func (m *Manager) SetRules(rules []Rule) error {
	cp := make([]Rule, len(rules))
	for i, r := range rules {
		cp[i] = cloneRule(r)
	}
	if err := SaveRules(m.o.RulesPath, cp); err != nil {
		return err
	}
	m.mu.Lock()
	m.rules = cp
	m.rulesErr = nil
	m.rulesSeen = stampOf(m.o.RulesPath)
	m.mu.Unlock()
	m.emit(Change{Kind: ChangeRules})
	return nil
}

// reloadIfChanged reloads the rules file when it changed on disk, so an edit
// in a text editor or a git pull takes effect without a restart.
func (m *Manager) reloadIfChanged() {
	stamp := stampOf(m.o.RulesPath)
	m.mu.Lock()
	same := stamp == m.rulesSeen
	m.mu.Unlock()
	if same {
		return
	}
	if err := m.ReloadRules(); err != nil {
		m.log.Warn("rules file changed but is invalid; keeping the last valid rules", "err", err)
	} else {
		m.log.Info("rules reloaded", "path", m.o.RulesPath)
	}
}

func (m *Manager) rule(name string) (Rule, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.rules {
		if r.Name == name {
			return cloneRule(r), nil
		}
	}
	return Rule{}, fmt.Errorf("no rule named %q: %w", name, ErrNotFound)
}
