package mongostore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/guanjia/guanjia"
)

// Collections of surveys: the surveys, and one answer per person ("<survey id>/a/<person>"),
// which answering again replaces.
const (
	collSurveys = "surveys"
	collAnswers = "survey_answers"
)

// CreateSurvey numbers a survey S… and saves it; a survey of the same submission made before
// is returned instead.
func (s *Store) CreateSurvey(ctx context.Context, sv *guanjia.Survey) error {
	if sv.Submission != "" {
		old, err := findOne[guanjia.Survey](ctx, s.Collection(collSurveys), bson.D{{Key: "community", Value: sv.Community},
			{Key: "submission", Value: sv.Submission}}, "survey of submission")
		if err == nil {
			*sv = old
			return nil
		} else if !errors.Is(err, guanjia.ErrNotFound) {
			return err
		}
	}
	no, err := s.InsertNumbered(ctx, s.Collection(collSurveys), sv.Community, "S", sv.CreatedAt, func(no string) any {
		c := *sv
		c.No, c.ID = no, guanjia.TicketID(sv.Community, no)
		return c
	})
	if err != nil {
		return fmt.Errorf("mongostore: create survey: %w", err)
	}
	sv.No, sv.ID = no, guanjia.TicketID(sv.Community, no)
	return nil
}

// Survey finds a survey by community and number.
func (s *Store) Survey(ctx context.Context, community, no string) (guanjia.Survey, error) {
	id := guanjia.TicketID(community, no)
	return findOne[guanjia.Survey](ctx, s.Collection(collSurveys), byID(id), "survey "+id)
}

// Surveys lists the surveys of a community ("" for every community), oldest first.
func (s *Store) Surveys(ctx context.Context, community string) ([]guanjia.Survey, error) {
	filter := bson.D{}
	if community != "" {
		filter = prefix(community + "/S")
	}
	list, err := findAll[guanjia.Survey](ctx, s.Collection(collSurveys), filter, "surveys of "+community)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(a, b guanjia.Survey) int { return strings.Compare(a.ID, b.ID) })
	return list, nil
}

// PutAnswer keeps a person's answer, replacing the one they gave before.
func (s *Store) PutAnswer(ctx context.Context, sv guanjia.Survey, a guanjia.Answer) error {
	a.ID, a.Survey = guanjia.AnswerID(sv.Community, sv.No, a.Person), sv.No
	return put(ctx, s.Collection(collAnswers), a.ID, a, "answer")
}

// Answers lists a survey's answers, by person.
func (s *Store) Answers(ctx context.Context, sv guanjia.Survey) ([]guanjia.Answer, error) {
	return findAll[guanjia.Answer](ctx, s.Collection(collAnswers), prefix(sv.ID+"/a/"), "answers of "+sv.ID)
}
