package export

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/igexport/igexport/internal/schema"
)

// runUsers writes the account's profile into the run date's partition.
func (a *accountRun) runUsers(ctx context.Context) error {
	s := a.stream(schema.Users)
	var u userJSON
	op := usersOps(a.t.ID)[0]
	err := a.withKnownFields(s, nodeUser, op.Params, func(params url.Values) error {
		u = userJSON{}
		return s.client.Get(ctx, op.Path, params, &u)
	})
	if err != nil {
		return err
	}
	// The id is the row's key: without it the answer is malformed, and an
	// answer about another account is not this account's profile.
	if u.ID == "" {
		return fmt.Errorf("malformed response from %s: %w", op.Path, missingKey("id"))
	}
	if u.ID != a.t.ID {
		return fmt.Errorf("malformed response from %s: id is %q, not the account's %q", op.Path, u.ID, a.t.ID)
	}
	row := schema.User{
		ID: u.ID, Username: u.Username, Name: u.Name, Biography: u.Biography, Website: u.Website,
		ProfilePictureURL: u.ProfilePictureURL, FollowersCount: u.FollowersCount,
		FollowsCount: u.FollowsCount, MediaCount: u.MediaCount, FetchedAt: a.r.fetchedAt(),
	}
	if u.IGID != nil {
		if n, err := strconv.ParseInt(string(*u.IGID), 10, 64); err == nil {
			row.IGID = &n
		}
	}
	if a.t.PageID != "" {
		row.PageID = schema.Ptr(a.t.PageID)
	}
	p := newPartitions[schema.User](s)
	if err := p.add(ctx, a.r.snapDT, row); err != nil {
		return err
	}
	files, err := p.commit(ctx)
	if err != nil {
		return err
	}
	dt := a.r.snapDT
	s.done(files, snapshotTaken(dt))
	return nil
}
