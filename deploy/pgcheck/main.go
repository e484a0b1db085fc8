// Command pgcheck exits 0 when the PostgreSQL server at the given URL
// answers, so scripts can say how to get one before anything fails
// obscurely. With -create-database it also creates that database when it
// is missing (the dev stack's first run).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	create := flag.String("create-database", "", "create this database if it does not exist")
	flag.Usage = func() { fmt.Fprintln(os.Stderr, "usage: pgcheck [-create-database NAME] ADMIN_DATABASE_URL") }
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := check(flag.Arg(0), *create); err != nil {
		fmt.Fprintf(os.Stderr, "PostgreSQL: %v\n", err)
		os.Exit(1)
	}
}

func check(url, database string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if database == "" {
		return conn.Ping(ctx)
	}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", database).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", database, err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{database}.Sanitize()); err != nil {
			return fmt.Errorf("create database %s: %w", database, err)
		}
	}
	return nil
}
