package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"kassa/fault"
	"kassa/merchants"
)

func cmdMigrate(ctx context.Context, args []string) error {
	_, log, d, err := setup(ctx)
	if err != nil {
		return err
	}
	defer d.Close(ctx)
	log.Info("database migrated")
	return nil
}

func cmdMerchantsCreate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("merchants create", flag.ContinueOnError)
	name := fs.String("name", "", "merchant name")
	email := fs.String("owner-email", "", "owner's email (their login)")
	ownerName := fs.String("owner-name", "", "owner's name")
	password := fs.String("owner-password", "", "owner's password (at least 10 characters)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	_, _, d, srv, err := newServer(ctx)
	if err != nil {
		return err
	}
	defer d.Close(ctx)
	c, err := srv.Merchants().Create(ctx, merchants.NewMerchant{Name: *name, OwnerEmail: *email, OwnerName: *ownerName, OwnerPassword: *password})
	if f, ok := fault.As(err); ok {
		return fmt.Errorf("%s (%s)", f.Message, f.Code)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(map[string]string{"merchantId": c.Merchant.ID.String(), "apiKey": c.Secret})
	}
	fmt.Printf("merchant %s created\nowner    %s\nAPI key  %s   (shown only this once)\n", c.Merchant.ID, c.Owner.Email, c.Secret)
	return nil
}

func cmdResetPassword(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("users reset-password", flag.ContinueOnError)
	email := fs.String("email", "", "the person's email")
	password := fs.String("password", "", "new password (at least 10 characters)")
	if err := fs.Parse(args); err != nil {
		return exitCode(2)
	}
	_, _, d, srv, err := newServer(ctx)
	if err != nil {
		return err
	}
	defer d.Close(ctx)
	if err := srv.Auth().ResetPassword(ctx, *email, *password); err != nil {
		if f, ok := fault.As(err); ok {
			return fmt.Errorf("%s (%s)", f.Message, f.Code)
		}
		return err
	}
	fmt.Println("password set")
	return nil
}
