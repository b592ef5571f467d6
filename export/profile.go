package export

import (
	"context"
	"net/url"
	"strconv"

	"github.com/igexport/igexport/internal/schema"
)

const userFields = "id,ig_id,username,name,biography,website,profile_picture_url,followers_count,follows_count,media_count"

type userJSON struct {
	ID                string      `json:"id"`
	IGID              *flexString `json:"ig_id"`
	Username          *string     `json:"username"`
	Name              *string     `json:"name"`
	Biography         *string     `json:"biography"`
	Website           *string     `json:"website"`
	ProfilePictureURL *string     `json:"profile_picture_url"`
	FollowersCount    *int64      `json:"followers_count"`
	FollowsCount      *int64      `json:"follows_count"`
	MediaCount        *int64      `json:"media_count"`
}

// runUsers writes the account's profile into the run date's partition.
func (a *accountRun) runUsers(ctx context.Context) error {
	s := a.stream(schema.Users)
	var u userJSON
	endpoint := "/" + a.t.ID
	if err := s.client.Get(ctx, endpoint, url.Values{"fields": {userFields}}, &u); err != nil {
		return err
	}
	if u.ID == "" {
		u.ID = a.t.ID
	}
	row := schema.User{
		ID: u.ID, Username: u.Username, Name: u.Name, Biography: u.Biography, Website: u.Website,
		ProfilePictureURL: u.ProfilePictureURL, FollowersCount: u.FollowersCount,
		FollowsCount: u.FollowsCount, MediaCount: u.MediaCount, FetchedAt: fetchedAt(),
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
	if err := p.add(a.r.snapDT, row); err != nil {
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
